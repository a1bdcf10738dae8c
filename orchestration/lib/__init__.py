"""Plain library code: no Dagster definitions, and no imports from `defs`, `features` or `cli`."""
