"""Published models, one module each: routes (Dell least-cost), ..."""
