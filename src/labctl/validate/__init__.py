"""`labctl validate DIR`: check a rendered GitOps tree before Argo CD syncs it.

One module per validator (kubeschema, crdschema, promtool, amtool, policy, xref); each is a
function `(Tree) -> Result`. runner.py runs them with timings; report.py renders the results.
"""
