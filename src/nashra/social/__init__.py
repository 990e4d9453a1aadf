"""Social channels: post each new article once per configured channel, counted the platform's way.

`protocol` is the adapter interface, `registry` finds adapters (entry-point group
`nashra.channels`), `compose` writes the text, `counting` measures it, `post` is the once-only
posting loop. One module per platform under `channels/`.
"""
