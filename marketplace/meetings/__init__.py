"""First meetings: a free introduction between a budget holder's side and a provider."""
