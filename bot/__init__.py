"""Double Reduction (双减) hotline bot."""
