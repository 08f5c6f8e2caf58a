"""The marketplace API's routes, one module per resource."""
