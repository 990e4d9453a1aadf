"""One module per platform; each registers itself under the `nashra.channels` entry-point group."""
