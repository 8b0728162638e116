mod sim_samples;
