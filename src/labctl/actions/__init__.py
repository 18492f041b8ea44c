"""Plans and their execution: everything labctl does that changes a cluster."""
