"""Config -> manifests: one module per component."""
