"""One module per platform component: typed config -> its Argo CD Application and manifests."""
