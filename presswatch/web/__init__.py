"""The read-only web view: pages, JSON API and Atom feeds over storage.queries (docs/web.md)."""
