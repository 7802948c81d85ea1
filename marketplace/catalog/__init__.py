"""The catalog: products, their versioned listings, pricing plans and review decisions."""
