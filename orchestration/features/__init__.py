"""Marketing-ops features that read the published warehouse and write files (never the warehouse)."""
