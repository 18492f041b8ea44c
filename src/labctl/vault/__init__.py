"""Operating HashiCorp Vault: status, unseal, Raft recovery, root token, configuration."""
