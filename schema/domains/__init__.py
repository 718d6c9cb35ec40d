"""The domains: each module owns its types, root fields and mutations, and the fields it adds to
other domains' types (as a federation subgraph extends another's entity). A domain imports the
core and only the domains whose types it extends or links to (the import contracts say which)."""
