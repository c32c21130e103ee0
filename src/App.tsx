import { useState } from 'react'
import { selfCheck } from './cert/selfCheck.ts'

function App() {
  const [check] = useState(() => selfCheck())

  return (
    <main className="page">
      <h1>Cert-RNN Studio</h1>
      <p>
        Cert-RNN Studio certifies the robustness of recurrent neural networks (RNNs, LSTMs and
        GRUs) with zonotope abstract interpretation: it proves that every input in a
        perturbation region is classified the same way. The full interactive app is coming
        later.
      </p>
      <p
        className={check.ok ? 'self-check ok' : 'self-check fail'}
        data-testid="self-check"
        data-ok={check.ok ? 'true' : 'false'}
      >
        <strong>Engine self-check:</strong> {check.message}
      </p>
    </main>
  )
}

export default App
