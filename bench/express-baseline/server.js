// The seed's tasks backend, as its deployment ran it (`npm install express pg cors`, then
// `node server.js`), rewritten here so the benchmark has the same baseline on every machine.
// Same behaviour: one process, pg's default pool (10 connections), cors() for every origin,
// GET returns every row newest first, POST inserts and returns the row. Not for production.
"use strict";

const express = require("express");
const cors = require("cors");
const { Pool } = require("pg");

const pool = new Pool({ connectionString: process.env.DATABASE_URL });
const app = express();
app.use(cors());
app.use(express.json());

// The table as the seed creates it on start.
const schema = `CREATE TABLE IF NOT EXISTS tasks (
  id SERIAL PRIMARY KEY,
  title VARCHAR(255) NOT NULL,
  completed BOOLEAN DEFAULT false,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)`;

app.get("/api/tasks", async (req, res) => {
  try {
    const result = await pool.query("SELECT * FROM tasks ORDER BY created_at DESC");
    res.json(result.rows);
  } catch (err) {
    res.status(500).json({ error: err.message });
  }
});

app.post("/api/tasks", async (req, res) => {
  try {
    const { title } = req.body;
    const result = await pool.query("INSERT INTO tasks (title) VALUES ($1) RETURNING *", [title]);
    res.status(201).json(result.rows[0]);
  } catch (err) {
    res.status(500).json({ error: err.message });
  }
});

app.put("/api/tasks/:id", async (req, res) => {
  try {
    const { title, completed } = req.body;
    const result = await pool.query(
      "UPDATE tasks SET title = COALESCE($1, title), completed = COALESCE($2, completed) WHERE id = $3 RETURNING *",
      [title, completed, req.params.id],
    );
    res.json(result.rows[0]);
  } catch (err) {
    res.status(500).json({ error: err.message });
  }
});

app.delete("/api/tasks/:id", async (req, res) => {
  try {
    await pool.query("DELETE FROM tasks WHERE id = $1", [req.params.id]);
    res.status(204).end();
  } catch (err) {
    res.status(500).json({ error: err.message });
  }
});

const port = Number(process.env.PORT || 3000);
pool
  .query(schema)
  .then(() => app.listen(port, "127.0.0.1", () => console.log(`listening on ${port}`)))
  .catch((err) => {
    console.error(`cannot create the table: ${err.message}`);
    process.exit(1);
  });
