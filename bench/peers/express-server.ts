import { randomUUID } from 'node:crypto'
import express from 'express'
import { announcePort, exitOnSignals } from './peer-process.js'

/**
 * The HTTP baseline: a bare express 5 app that parses the same JSON publish request Junction's HTTP
 * bridge takes (`POST /api/v1/publish`) and answers it the same way, without publishing anything.
 */
const app = express()
app.post('/api/v1/publish', express.json(), (req, res) => {
  const body = req.body as { topic?: unknown }
  if (typeof body.topic !== 'string') {
    res.status(400).json({ error: { code: 'HUB_ERR_BAD_REQUEST', message: 'topic: expected a string' } })
    return
  }
  res.json({ id: randomUUID(), matched: 0 })
})
const server = app.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => announcePort(server.address()))
exitOnSignals(() => server.close())
