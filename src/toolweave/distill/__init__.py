"""Agent distillation: a teacher's tool-call trajectories → a filtered SFT dataset → a LoRA
student that llama.cpp serves as a toolweave model (``distilled/NAME``): `collect`, `build`,
`train`, `report`. Heavy libraries (torch, transformers, trl, peft) are imported only inside
the training functions."""
