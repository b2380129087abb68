"""The cluster view: one read-only place the checks get Kubernetes objects from."""

from vantiq_health.view.base import KINDS, ClusterView, SetupError, Unavailable

__all__ = ["KINDS", "ClusterView", "SetupError", "Unavailable"]
