"""Agent distillation: teacher trajectories -> a filtered SFT dataset -> a LoRA-trained student
that llama.cpp serves as a toolweave model (``distilled/NAME``). Heavy libraries (torch,
transformers, trl, peft) are imported only inside the training functions."""
