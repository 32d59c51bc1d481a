"""The scanner's I/O: database and file sources, engines (worker processes, Spark), the NER
model, the resume file, the progress bar and the reports."""
