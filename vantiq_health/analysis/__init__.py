"""Pure functions from Kubernetes objects to findings: no I/O, no pytest."""
