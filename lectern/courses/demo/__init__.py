"""Demo courses and quizzes for a first look at Lectern."""
