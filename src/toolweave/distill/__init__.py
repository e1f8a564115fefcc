"""Agent distillation: a teacher's tool-call trajectories → a filtered SFT dataset → a LoRA
student served by llama.cpp (`collect`, `build`, `train`, `report`)."""
