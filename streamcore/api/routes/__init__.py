"""One module of routes per domain; each route parses, makes one service call and returns."""
