"""The commands whose procedure outgrows a screen, one module each; ``api`` exposes them."""
