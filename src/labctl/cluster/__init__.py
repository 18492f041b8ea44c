"""Reading and changing clusters: the one place labctl talks to the Kubernetes API."""
