"""Running the model many times: replications of a scenario over processes, and (in the
modules added for experiments) sweeps, designs, executors and the store of finished work."""
