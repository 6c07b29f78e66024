"""Taking a quiz: attempts, answers saved as given, finishing."""
