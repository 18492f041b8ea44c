"""`labctl troubleshoot`: one view of what the runbook's describe, logs --previous and
events-sorted commands show for a pod, node, PVC, Argo CD Application or Certificate, with the
likely cause named by the health checks (`labctl.checks`) and a few event and log patterns."""
