"""Scale stage: the scale estimation module Φ_S and the root trajectory it implies."""
