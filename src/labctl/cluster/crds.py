"""The custom resources labctl reads and writes, declared once.

No other module builds these classes or spells their apiVersion; import them from here.
"""

from __future__ import annotations

from lightkube.generic_resource import create_global_resource, create_namespaced_resource

Application = create_namespaced_resource("argoproj.io", "v1alpha1", "Application", "applications")
AppProject = create_namespaced_resource("argoproj.io", "v1alpha1", "AppProject", "appprojects")

Backup = create_namespaced_resource("velero.io", "v1", "Backup", "backups")
Restore = create_namespaced_resource("velero.io", "v1", "Restore", "restores")
Schedule = create_namespaced_resource("velero.io", "v1", "Schedule", "schedules")
BackupStorageLocation = create_namespaced_resource(
    "velero.io", "v1", "BackupStorageLocation", "backupstoragelocations"
)

Certificate = create_namespaced_resource("cert-manager.io", "v1", "Certificate", "certificates")
ClusterIssuer = create_global_resource("cert-manager.io", "v1", "ClusterIssuer", "clusterissuers")
Issuer = create_namespaced_resource("cert-manager.io", "v1", "Issuer", "issuers")
CertificateRequest = create_namespaced_resource(
    "cert-manager.io", "v1", "CertificateRequest", "certificaterequests"
)

PrometheusRule = create_namespaced_resource(
    "monitoring.coreos.com", "v1", "PrometheusRule", "prometheusrules"
)
LonghornVolume = create_namespaced_resource("longhorn.io", "v1beta2", "Volume", "volumes")
