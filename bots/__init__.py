"""Platform adapters: translate in, call the core, render out."""
