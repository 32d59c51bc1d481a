"""The pure core of the scanner: recognisers, context, scoring, findings and judgement."""
