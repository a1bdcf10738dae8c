"""Developer tools that are not part of the product: the sample-data generator (`devtools/generate/`)."""
