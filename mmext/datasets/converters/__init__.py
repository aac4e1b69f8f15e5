"""mmext.datasets.converters: reusable dataset-conversion logic (the tools/dataset_converters/
scripts are argument parsing over these functions)."""
