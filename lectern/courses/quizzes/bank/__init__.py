"""A course's question bank: categories, versioned questions, imports and exports."""
