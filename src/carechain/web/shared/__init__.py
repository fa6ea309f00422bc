"""What the web apps share: the web context (the door), sessions and page guards, rendering,
logging in and out (and unlocking a crew account), the headline NEWS2, the live vitals, the
form-error wording, UK clock times, and the page for a form too large to accept."""
