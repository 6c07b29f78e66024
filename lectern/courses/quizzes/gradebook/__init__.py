"""What teachers read and mark: the gradebook, results, statistics, manual grading."""
