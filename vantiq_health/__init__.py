"""vantiq-health: health and conformance checks for Vantiq installations on Kubernetes."""

__version__ = "0.1.0"
