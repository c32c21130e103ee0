// The cartesian partial bundle of plotly.js ships no types; its API is plotly.js's.
declare module 'plotly.js-cartesian-dist-min' {
  import * as Plotly from 'plotly.js'
  export default Plotly
}
