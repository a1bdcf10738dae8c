"""Great Expectations suites, defined in code, that gate publication."""
