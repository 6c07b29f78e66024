"""Reports: completion, quiz results and lecture attendance by course and by cohort. Reads the other areas."""
