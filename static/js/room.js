// room.js — placeholder
