"""Quizzes: the pure question model and grading, the tables, and the features below."""
