"""vantiq-health: health and conformance checks for Vantiq installations on Kubernetes.

PYTEST_DONT_REWRITE: the library states verdicts with pytest.fail, not bare
asserts, and `make report` imports it before pytest starts.
"""

__version__ = "0.1.0"
