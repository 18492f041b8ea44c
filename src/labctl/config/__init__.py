"""Typed configuration: cluster.yaml and the data contracts rendered from it."""
