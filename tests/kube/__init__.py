"""A fake Kubernetes API server for scenario tests (see server.FakeCluster)."""
