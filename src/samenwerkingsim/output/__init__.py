"""What samenwerkingsim writes: files (:mod:`.files`) and whole output folders (:mod:`.folders`)."""
