from tests.actions.fixtures import client, fake, kubeconfig

__all__ = ["client", "fake", "kubeconfig"]
