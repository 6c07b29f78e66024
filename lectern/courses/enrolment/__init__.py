"""Who takes part in a course: enrolment by hand, by cohort and from the users CSV; staff."""
