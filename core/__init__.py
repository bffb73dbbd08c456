"""What the bot, the action server and the gateway share: hazard phrases, masking of personal numbers, the
formats of conversation ids and ticket numbers, and the ticket kinds and statuses. Depends on nothing of ours;
bot/, knowledge/ and gateway/ import from here and never from each other."""
